// Key Vault in RBAC mode for the Stripe secrets and the events signing secret. A secret is written only when its value is passed in; otherwise the
// operator sets it after deployment (see the README), and the app refuses to start until the webhook secret is there.
param location string
param tags object
param keyVaultName string

@secure()
param stripeWebhookSecret string

@secure()
param stripeApiKey string

@secure()
param eventsWebhookSecret string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeWebhookSecret)) {
  parent: vault
  name: 'StripeWebhookSecret'
  properties: {
    value: stripeWebhookSecret
  }
}

resource apiKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeApiKey)) {
  parent: vault
  name: 'StripeApiKey'
  properties: {
    value: stripeApiKey
  }
}

resource eventsSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(eventsWebhookSecret)) {
  parent: vault
  name: 'EventsWebhookSecret'
  properties: {
    value: eventsWebhookSecret
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
