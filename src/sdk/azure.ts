/** What the Azure Key Vault backend needs from its SDKs; bundled as its own chunk (dist/sdk/azure.js). */
export { SecretClient } from '@azure/keyvault-secrets';
export { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
