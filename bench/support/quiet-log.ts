// Imported first by benchmarks that run engine code in their own process (migrations, model installs): the
// engine's logger reads its level once, at import, and info lines would bury the benchmark's progress lines.
process.env.SWAPREP_LOG_LEVEL ??= 'warn';
