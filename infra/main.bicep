// CreditFunctions on Azure: a Flex Consumption function app with a user-assigned managed identity, identity-only
// storage, Application Insights without local auth, the Stripe and events secrets in Key Vault, and the events queue. Deploy with `azd up`, or
// `az deployment group create --resource-group <rg> --template-file infra/main.bicep --parameters environmentName=<name>`.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(40)
@description('Name of the environment (dev, prod, ...): goes into resource names and tags.')
param environmentName string

@description('Azure region for every resource; must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Credits per month for prices without credits_per_month metadata, e.g. { "price_1Abc": 1000, "team_yearly": 5000 }.')
param planCredits object = {}

@description('Whether past_due subscriptions still get their monthly reset.')
param allowPastDue bool = false

@minValue(40)
@maxValue(1000)
@description('Most instances the app scales out to.')
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
@description('Memory per instance, in MB.')
param instanceMemoryMB int = 2048

@description('Object id of the deploying user or principal; gets Key Vault Secrets Officer and Table Data Reader on the app\'s tables. azd fills it in.')
param principalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
@description('What principalId is: User for a person, ServicePrincipal for a CI pipeline. azd fills it in.')
param principalType string = 'User'

@allowed(['Standard_ZRS', 'Standard_LRS', 'Standard_GZRS', 'Standard_GRS'])
@description('Storage redundancy: zone-redundant by default; Standard_LRS in a region without availability zones.')
param storageSku string = 'Standard_ZRS'

@description('Email address for the alerts (no daily run, failed runs, stuck renewals, refused webhooks); empty: alerts show in the portal only.')
param alertEmail string = ''

@minValue(1)
@description('Refused webhook deliveries within an hour that raise the refused-webhooks alert.')
param refusedWebhooksThreshold int = 3

@secure()
@description('Stripe webhook signing secret (whsec_...); leave empty to set it in Key Vault after deployment.')
param stripeWebhookSecret string = ''

@secure()
@description('Stripe secret or restricted key for reconciliation; leave empty to set it in Key Vault later, or never.')
param stripeApiKey string = ''

@description('Set true to have the app read the Stripe API with a StripeApiKey secret you put into Key Vault yourself (reconciliation, pack prices, the import); on anyway when stripeApiKey is given.')
param useStripeApi bool = false

@description('Where events to the SaaS are posted (https; docs/events.md); empty: events off.')
param eventsWebhookUrl string = ''

@secure()
@description('Standard Webhooks signing secret for the events (whsec_...); leave empty to set EventsWebhookSecret in Key Vault yourself.')
param eventsWebhookSecret string = ''

@minValue(0)
@description('Default low-credits threshold in credits for credits.low (0: none).')
param eventsLowBelow int = 0

@minValue(0)
@maxValue(100)
@description('Default low-credits threshold as a percentage of the customer\'s monthly allowances (0: none).')
param eventsLowBelowPercent int = 0

@description('Application (client) id of the Microsoft Entra ID app registration the support console signs people in with (docs/console.md); empty: App Service authentication stays off and the console lets nobody in.')
param consoleClientId string = ''

@description('The app role (in that app registration) a signed-in user needs to use the console.')
param consoleRole string = 'Credits.Support'

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
  application: 'creditfunctions'
}
var tablePrefix = 'Credits'
// Every table the app uses with that prefix (StorageOptions.AllTables; a test holds the two to each other): the
// customers' accounts, the subscription directory, the run records and the due-date index, one table per day of the month.
var tableNames = [
  'CreditsCustomers'
  'CreditsSubscriptions'
  'CreditsRuns'
  'CreditsDue01'
  'CreditsDue02'
  'CreditsDue03'
  'CreditsDue04'
  'CreditsDue05'
  'CreditsDue06'
  'CreditsDue07'
  'CreditsDue08'
  'CreditsDue09'
  'CreditsDue10'
  'CreditsDue11'
  'CreditsDue12'
  'CreditsDue13'
  'CreditsDue14'
  'CreditsDue15'
  'CreditsDue16'
  'CreditsDue17'
  'CreditsDue18'
  'CreditsDue19'
  'CreditsDue20'
  'CreditsDue21'
  'CreditsDue22'
  'CreditsDue23'
  'CreditsDue24'
  'CreditsDue25'
  'CreditsDue26'
  'CreditsDue27'
  'CreditsDue28'
  'CreditsDue29'
  'CreditsDue30'
  'CreditsDue31'
]
// The events queue (Events__Queue), the Stripe work queue (Stripe__Queue: top-up charges and overage meter events), and
// the poison queue the Functions host moves a failing message of each to.
var eventsQueue = 'credits-events'
var stripeQueue = 'credits-stripe'
var queueNames = [
  eventsQueue
  '${eventsQueue}-poison'
  stripeQueue
  '${stripeQueue}-poison'
]
var deploymentContainerName = 'app-package-${take(token, 7)}'
var functionAppName = 'func-credits-${token}'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-credits-${token}'
  location: location
  tags: tags
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-credits-${token}'
    applicationInsightsName: 'appi-credits-${token}'
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    storageAccountName: 'st${token}'
    deploymentContainerName: deploymentContainerName
    tableNames: tableNames
    queueNames: queueNames
    skuName: storageSku
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    tags: tags
    keyVaultName: 'kv-${token}'
    stripeWebhookSecret: stripeWebhookSecret
    stripeApiKey: stripeApiKey
    eventsWebhookSecret: eventsWebhookSecret
  }
}

module roles 'app/roles.bicep' = {
  name: 'roles'
  params: {
    storageAccountName: storage.outputs.name
    tableNames: tableNames
    queueNames: queueNames
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    identityPrincipalId: identity.properties.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module operations 'app/operations.bicep' = {
  name: 'operations'
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    namePrefix: 'credits-${token}'
    alertEmail: alertEmail
    refusedWebhooksThreshold: refusedWebhooksThreshold
  }
}

module function 'app/function.bicep' = {
  name: 'function'
  dependsOn: [roles]
  params: {
    location: location
    tags: tags
    planName: 'plan-credits-${token}'
    functionAppName: functionAppName
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    tablePrefix: tablePrefix
    allowPastDue: allowPastDue
    useStripeApi: useStripeApi || !empty(stripeApiKey)
    planCredits: join(map(items(planCredits), entry => '${entry.key}=${entry.value}'), ';')
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    eventsWebhookUrl: eventsWebhookUrl
    eventsQueue: eventsQueue
    stripeQueue: stripeQueue
    eventsLowBelow: eventsLowBelow
    eventsLowBelowPercent: eventsLowBelowPercent
    consoleClientId: consoleClientId
    consoleRole: consoleRole
  }
}

output AZURE_LOCATION string = location
output FUNCTION_APP_NAME string = function.outputs.name
output FUNCTION_APP_HOSTNAME string = function.outputs.defaultHostName
output STRIPE_WEBHOOK_URL string = 'https://${function.outputs.defaultHostName}/api/stripe/webhook'
output KEY_VAULT_NAME string = keyVault.outputs.name
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output CONSOLE_URL string = 'https://${function.outputs.defaultHostName}/api/console'
output WORKBOOK_ID string = operations.outputs.workbookId
