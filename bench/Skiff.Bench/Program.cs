using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Skiff.Bench.SchedulerBenchmarks).Assembly).Run(args);
