using Azure.Data.Tables;
using Azure.Identity;

namespace CreditFunctions.Storage;

internal static class TableServiceClientFactory
{
    public static TableServiceClient Create(StorageOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new TableServiceClient(options.ConnectionString);
        }

        var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ClientId) ? null : options.ClientId,
        });
        return new TableServiceClient(options.TableServiceUri!, credential);
    }
}
