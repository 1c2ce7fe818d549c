"""The command line: `emstui`, `--once`, `doctor`, `import`, `notify`, and their exit codes."""
