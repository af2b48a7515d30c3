/** authtrail's version, stamped into every AuthEvent as pipeline.version (a test keeps it equal to package.json). */
export const PIPELINE_VERSION = '0.1.0';
