"""Runs inside the built image, as the hub's user, in the repository directory, before anything is pushed.

A failing test fails the pull request, or stops the merge before the push: instructors never get the broken image.
"""

import importlib
import os
import subprocess
from pathlib import Path

import pytest

REPO_DIR = Path(os.environ.get("REPO_DIR", os.getcwd()))

# What the courses rely on (see environment.yml). Add yours.
MODULES = ["numpy", "pandas", "matplotlib"]

# What must never ship in an image: git and CI files, and credentials a workflow may leave in the workspace
# (a docker config under a folder literally named `$HOME`, auth actions' gha-creds-*.json). .dockerignore keeps them out.
NEVER_IN_IMAGE = [".git", ".github", "$HOME", ".docker", ".git-credentials", ".netrc", "gha-creds-*.json"]


@pytest.mark.parametrize("module", MODULES)
def test_course_package_imports(module):
    importlib.import_module(module)


def test_runs_as_the_notebook_user_not_root():
    assert os.getuid() != 0
    assert os.getuid() == int(os.environ.get("NB_UID", "1000"))


def test_jupyter_is_installed():
    result = subprocess.run(["jupyter", "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_no_credentials_or_ci_files_in_the_image():
    found = sorted(str(path.relative_to(REPO_DIR)) for pattern in NEVER_IN_IMAGE for path in REPO_DIR.rglob(pattern))
    assert found == [], f"these must not be in the image, add them to .dockerignore: {found}"
