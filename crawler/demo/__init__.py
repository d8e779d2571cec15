"""An offline fixture news site on loopback: `crawler demo`, the tests and the benchmark."""
