/** What the Google Secret Manager backend needs from its SDK; bundled as its own chunk (dist/sdk/google.js). */
export { SecretManagerServiceClient } from '@google-cloud/secret-manager';
