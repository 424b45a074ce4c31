// What tells an operator that something is off, and the picture of what the app did: an action group (email), log
// alert rules and a workbook. Every query reads the app's own metrics in Application Insights' customMetrics (names
// credits.*, tags in customDimensions), as CreditFunctions/Telemetry/CreditMetrics.cs publishes them.
param location string
param tags object
param applicationInsightsName string
param namePrefix string

@description('Where alerts are sent; empty: the alert rules still fire and show in the portal, but nobody is emailed.')
param alertEmail string

@minValue(1)
@description('Refused webhook deliveries (bad signature, body or API version) within an hour that raise the alert.')
param refusedWebhooksThreshold int

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-alerts'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'credits'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(alertEmail) ? {} : { actionGroups: [actionGroup.id] }

var alerts = [
  {
    name: 'no-timer-run'
    displayName: 'CreditFunctions: no completed daily reset run in 26 hours'
    description: 'The 02:00 UTC timer run has not finished (succeeded, failed or remaining) for 26 hours: the app is stopped, not deployed, or every run aborts. Resets are late until it runs.'
    severity: 1
    evaluationFrequency: 'PT1H'
    windowSize: 'P2D'
    query: 'customMetrics\n| where timestamp > ago(26h)\n| where name == \'credits.runs.finished\'\n| where tostring(customDimensions.trigger) == \'timer\' and tostring(customDimensions.outcome) != \'aborted\'\n| summarize runs = count()'
    measure: 'runs'
    aggregation: 'Total'
    operator: 'LessThan'
    threshold: 1
  }
  {
    name: 'run-failed'
    displayName: 'CreditFunctions: a reset run had failures'
    description: 'A run (timer or manual) failed for some subscriptions, or aborted. What it committed stays; the failed subscriptions stay due and the timer retries. The run\'s logs say why.'
    severity: 1
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M' // twice the frequency: metrics reach the table a few minutes late
    query: 'customMetrics\n| where name == \'credits.runs.finished\'\n| where tostring(customDimensions.outcome) in (\'failed\', \'aborted\')\n| summarize runs = count()'
    measure: 'runs'
    aggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'renewal-stuck'
    displayName: 'CreditFunctions: a renewal has waited on Stripe for more than a day'
    description: 'A run reported a subscription period-ended-awaiting-renewal or renewal-unconfirmed that has been waiting over 24 hours although Stripe should have renewed it (paused, unpaid and ending subscriptions are not counted): its invoice.paid (or renewal) did not arrive and the Stripe API could not settle it. Check the webhook endpoint\'s deliveries, or set Stripe:ApiKey.'
    severity: 2
    evaluationFrequency: 'PT1H'
    windowSize: 'P2D' // a daily report: two days so it neither misses a day nor flaps between runs
    query: 'customMetrics\n| where name == \'credits.renewals.waiting\'\n| where tostring(customDimensions.reason) in (\'period-ended-awaiting-renewal\', \'renewal-unconfirmed\')\n| summarize hours = max(valueMax)'
    measure: 'hours'
    aggregation: 'Maximum'
    operator: 'GreaterThan'
    threshold: 24
  }
  {
    name: 'webhooks-refused'
    displayName: 'CreditFunctions: Stripe webhook deliveries refused'
    description: 'Webhook deliveries were refused (400/413): usually a wrong signing secret (StripeWebhookSecret) or an endpoint API version other than the app\'s. Stripe retries them for three days; fix the secret or version and they go through.'
    severity: 2
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    query: 'customMetrics\n| where name == \'credits.webhooks.received\'\n| where tostring(customDimensions.result) == \'refused\'\n| summarize refused = sum(valueSum)'
    measure: 'refused'
    aggregation: 'Total'
    operator: 'GreaterThanOrEqual'
    threshold: refusedWebhooksThreshold
  }
  {
    name: 'events-poisoned'
    displayName: 'CreditFunctions: event delivery failing'
    description: 'A customer\'s events could not be delivered to the SaaS endpoint (Events__WebhookUrl) after every attempt and their queue message went to the poison queue. Nothing is lost: the events stay in the outbox and go with the customer\'s next change. Check the endpoint (its answers are in the traces), then put the message back on the queue to deliver them sooner (docs/events.md).'
    severity: 2
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    query: 'customMetrics\n| where name == \'credits.events.poisoned\'\n| summarize poisoned = sum(valueSum)'
    measure: 'poisoned'
    aggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'top-up-failed'
    displayName: 'CreditFunctions: an auto top-up failed'
    description: 'An auto top-up closed unpaid (declined card, 3-D Secure needed, no default payment method, Stripe unreachable for an hour, or refused): nothing was granted or charged, the invoice was voided, and credits.top_up_failed went to the SaaS. The customer gets no new top-up until available rises above the threshold and falls again, or an operator retries (POST .../auto-top-up/retry). The traces name the customer and the reason (docs/top-up-and-overage.md).'
    severity: 2
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    query: 'customMetrics\n| where name == \'credits.topups.failed\'\n| where tostring(customDimensions.reason) != \'max_per_month\'\n| summarize failed = sum(valueSum)'
    measure: 'failed'
    aggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'stripe-work-poisoned'
    displayName: 'CreditFunctions: Stripe work failing'
    description: 'A customer\'s Stripe work (a top-up charge or overage meter events) failed every try of the host and its message went to the poison queue (Stripe__Queue-poison): usually a fault in the app or the store, not Stripe (Stripe being down is retried for an hour and then closes the top-up). Nothing is lost: the work stays on the account; the traces say what failed; move the message back to the queue, or retry the top-up (docs/top-up-and-overage.md).'
    severity: 2
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    query: 'customMetrics\n| where name == \'credits.stripe.poisoned\'\n| summarize poisoned = sum(valueSum)'
    measure: 'poisoned'
    aggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'overage-refused'
    displayName: 'CreditFunctions: Stripe refused overage meter events'
    description: 'Stripe refused overage meter events for good (no meter with the plan\'s credits_overage_meter event name, a customer without a meter mapping, or a time past the meter\'s 35 days): they were dropped and will not be billed. The traces name each ledger entry to bill by hand; fix the meter or the plan\'s price metadata (docs/top-up-and-overage.md).'
    severity: 2
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    query: 'customMetrics\n| where name == \'credits.overage.failed\'\n| summarize refused = sum(valueSum)'
    measure: 'refused'
    aggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in alerts: {
    name: '${namePrefix}-${alert.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [appInsights.id]
      evaluationFrequency: alert.evaluationFrequency
      windowSize: alert.windowSize
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: alert.aggregation
            metricMeasureColumn: alert.measure
            operator: alert.operator
            threshold: alert.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: actions
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsights.id, 'creditfunctions-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'CreditFunctions operations'
    category: 'workbook'
    sourceId: appInsights.id
    // The workbook's queries run against Application Insights wherever it is opened from (its blade, or the gallery).
    serializedData: replace(loadTextContent('workbook.json'), '__APPLICATION_INSIGHTS_ID__', appInsights.id)
  }
}

output workbookId string = workbook.id
output alertRuleNames array = [for (alert, i) in alerts: alertRules[i].name]
