using Microsoft.Extensions.Options;

namespace CreditFunctions.Storage;

/// <summary>
/// The accounts this instance last read or wrote, each as the store had it then (state, version, ETag, due entries),
/// least recently used first out, bounded in count and in estimated bytes. A copy here is only ever a guess to write
/// against: the write carries its ETag with If-Match, so a copy another instance has moved on from fails that write and
/// the account is read again (<see cref="AccountRepository.ChangeAsync{T}(string, Func{CustomerAccount, CancellationToken, Task{T}}, Func{T, bool}?, LoadedAccount?, WriteAhead?, bool, CancellationToken)"/>).
/// Nothing is answered from a copy whose write did not land, and reads never use it.
/// </summary>
public sealed class AccountCache
{
    private readonly int _maxCount;
    private readonly long _maxBytes;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Id, StoredAccount Account, long Bytes)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Id, StoredAccount Account, long Bytes)> _order = new();
    private long _bytes;

    public AccountCache(IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _maxCount = options.Value.AccountCacheSize;
        _maxBytes = options.Value.AccountCacheMegabytes * 1024L * 1024L;
    }

    public bool Enabled => _maxCount > 0;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    public StoredAccount? Get(string customerId)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(customerId, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Account;
        }
    }

    /// <summary>Keeps <paramref name="account"/> as the latest known copy of its customer, unless it is older than the one kept.</summary>
    public void Put(StoredAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (!Enabled)
        {
            return;
        }

        var id = account.State.CustomerId;
        var bytes = EstimatedBytes(account);
        lock (_gate)
        {
            if (_index.TryGetValue(id, out var kept))
            {
                if (kept.Value.Account.Version > account.Version)
                {
                    return; // A slower read of an older copy: the newer one stays.
                }

                Drop(kept);
            }

            if (bytes > _maxBytes)
            {
                return;
            }

            _index[id] = _order.AddFirst((id, account, bytes));
            _bytes += bytes;
            while (_index.Count > _maxCount || _bytes > _maxBytes)
            {
                Drop(_order.Last!);
            }
        }
    }

    public void Forget(string customerId)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(customerId, out var node))
            {
                Drop(node);
            }
        }
    }

    private void Drop(LinkedListNode<(string Id, StoredAccount Account, long Bytes)> node)
    {
        _order.Remove(node);
        _index.Remove(node.Value.Id);
        _bytes -= node.Value.Bytes;
    }

    /// <summary>What a kept account takes in memory, roughly: its parts as the row stores them, and the objects around them.</summary>
    private static long EstimatedBytes(StoredAccount account)
    {
        var state = account.State;
        return 1_024 + (state.Subscriptions.Count * 1_500L) + (state.Grants.Count * 400L)
            + state.Holds.Sum(h => 400L + (h.Parts.Count * 120L)) + (state.PendingRefunds.Count * 200L) + (account.Due.Count * 200L);
    }
}
