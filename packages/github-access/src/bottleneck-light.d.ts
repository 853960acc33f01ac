// plugin-throttling runs on Bottleneck's light build (no clustering); its groups must come from the same build.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
