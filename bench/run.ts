export async function runBenchmarks(_args: string[]): Promise<void> {
  process.stdout.write('benchmarks: not yet\n');
}
