import { describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { inputsTable, outputsTable, renderReadme, syncActionDocs } from '../action-docs.ts';

const metadata = {
  inputs: {
    image: { description: 'The image | name', required: true },
    paths: { description: 'Globs.', default: 'a/*.yaml\nb/*.yaml\n' },
  },
  outputs: { digest: { description: 'The digest.' } },
};

describe('action docs', () => {
  it('renders inputs with required flags, defaults and escaped pipes', () => {
    expect(inputsTable(metadata)).toBe(
      [
        '| Input | Required | Default | Description |',
        '| --- | --- | --- | --- |',
        '| `image` | yes |  | The image \\| name |',
        '| `paths` | no | `a/*.yaml`<br>`b/*.yaml` | Globs. |',
      ].join('\n'),
    );
    expect(outputsTable(metadata)).toBe(
      '| Output | Description |\n| --- | --- |\n| `digest` | The digest. |',
    );
  });

  it('replaces only the generated blocks', () => {
    const readme =
      '# x\n<!-- action-docs:inputs -->\nold\n<!-- action-docs:end -->\ntext\n<!-- action-docs:outputs -->\n<!-- action-docs:end -->\n';
    const rendered = renderReadme(readme, metadata, 'x');
    expect(rendered).toContain('# x\n<!-- action-docs:inputs -->\n| Input |');
    expect(rendered).toContain('<!-- action-docs:end -->\ntext\n<!-- action-docs:outputs -->\n| Output |');
    expect(rendered).not.toContain('old');
  });

  it('refuses a README without the blocks', () => {
    expect(() => renderReadme('# x\n', metadata, 'actions/x/README.md')).toThrow(
      /actions\/x\/README.md has no/,
    );
  });

  it('every action README matches its action.yml', () => {
    expect(syncActionDocs(resolve(import.meta.dirname, '../..'), false)).toEqual([]);
  });
});
