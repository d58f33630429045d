namespace Skiff.Integration.Tests.Support;

internal static class Wait
{
    /// <summary>Waits for a condition of the outside world (a server answering); fails with what it waited for.</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what) => Until(condition, timeout, what, () => "");

    /// <summary>As above; on timeout the message also carries <paramref name="state"/> (what the world looked like).</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what, Func<string> state)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for {what}\n{state()}");
            }

            tick.WaitForNextTickAsync().AsTask().Wait();
        }
    }
}
