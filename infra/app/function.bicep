// Flex Consumption plan (FC1, Linux) and the function app, running as its user-assigned managed identity.
param location string
param tags object
param planName string
param functionAppName string
param identityId string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param storageTableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param keyVaultUri string
param tablePrefix string
param allowPastDue bool

@description('Whether the app reads the Stripe API (reconciliation, pack prices, the import): sets Stripe__ApiKey to the Key Vault reference.')
param useStripeApi bool
param planCredits string

@description('Where events to the SaaS are posted; empty: events off (then no signing secret is read).')
param eventsWebhookUrl string
param eventsQueue string

@description('The queue the SendToStripe function reads (top-up charges, overage meter events); those need useStripeApi too.')
param stripeQueue string
param eventsLowBelow int
param eventsLowBelowPercent int
@description('The support console\'s Entra ID app registration (client id); empty: no App Service authentication, and the console lets nobody in.')
param consoleClientId string
param consoleRole string
param maximumInstanceCount int
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // The Functions host's storage (timer lease, schedule monitor), by identity: no keys anywhere.
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId

      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'

      // The app's tables, by identity (same setting names as local.settings.json.example).
      CreditStorage__TableServiceUri: storageTableEndpoint
      CreditStorage__ClientId: identityClientId
      CreditStorage__TablePrefix: tablePrefix

      Reset__AllowPastDue: string(allowPastDue)

      // Secrets stay in Key Vault; the platform resolves these references with the app's identity. The API key is
      // optional: empty unless reconciliation is on, and even then a reference that does not resolve leaves it off.
      Stripe__WebhookSecret: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/StripeWebhookSecret)'
      Stripe__ApiKey: useStripeApi ? '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/StripeApiKey)' : ''
      Stripe__PlanCredits: planCredits

      // Auto top-up and overage (docs/top-up-and-overage.md): the queue is always there; both stay off without the API key.
      Stripe__Queue: stripeQueue

      // Events to the SaaS (docs/events.md): off while the URL is empty; the signing secret from Key Vault when on.
      Events__WebhookUrl: eventsWebhookUrl
      Events__WebhookSecret: empty(eventsWebhookUrl) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/EventsWebhookSecret)'
      Events__Queue: eventsQueue
      Events__LowBelow: string(eventsLowBelow)
      Events__LowBelowPercent: string(eventsLowBelowPercent)

      // The support console (docs/console.md): the app role it requires of the principal App Service signs in.
      Console__Role: consoleRole
    }
  }

  // App Service authentication with Microsoft Entra ID, for the support console only: anonymous requests still pass
  // (the Stripe webhook, and the API with its function keys), so each console route checks the signed-in principal and
  // its app role itself. The platform then sets X-MS-CLIENT-PRINCIPAL and never takes it from a caller.
  // Always deployed, on only with a client id: emptying the id later turns sign-in off again (an absent resource would
  // leave the last settings in place).
  resource authSettings 'config' = {
    name: 'authsettingsV2'
    properties: {
      platform: {
        enabled: !empty(consoleClientId)
      }
      globalValidation: {
        requireAuthentication: false
        unauthenticatedClientAction: 'AllowAnonymous'
      }
      httpSettings: {
        requireHttps: true
      }
      // Entra ID only with a client id: with none, nothing half-configured is deployed (sign-in is simply off).
      identityProviders: empty(consoleClientId) ? {} : {
        azureActiveDirectory: {
          enabled: true
          registration: {
            clientId: consoleClientId
            openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          }
          validation: {
            allowedAudiences: [
              consoleClientId
              'api://${consoleClientId}'
            ]
          }
        }
      }
      login: {
        tokenStore: {
          enabled: false
        }
      }
    }
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
