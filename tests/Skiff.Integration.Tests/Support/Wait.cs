namespace Skiff.Integration.Tests.Support;

internal static class Wait
{
    /// <summary>Waits for a condition of the outside world (a server answering); fails with what it waited for.</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for {what}");
            }

            tick.WaitForNextTickAsync().AsTask().Wait();
        }
    }
}
