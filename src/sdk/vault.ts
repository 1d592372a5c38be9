/** node-vault, for the Vault backend; bundled as its own chunk (dist/sdk/vault.js). */
import nodeVault = require('node-vault');

export const createVaultClient = nodeVault;
