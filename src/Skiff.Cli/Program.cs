using Skiff.Cli;

using var context = CliContext.CreateConsole();
return await CliApp.RunAsync(args, context);
