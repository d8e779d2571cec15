"""Work shared by many nodes through Redis (issue 13): due site crawls and site leases."""
