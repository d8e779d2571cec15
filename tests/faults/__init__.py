"""The fault suite (issue 12): hostile servers, full and unwritable disks, killed runs.

Each module takes one family of faults from docs/reliability.md and proves what the table
promises about it, against the real CLI, on loopback and on small tmpfs mounts."""
