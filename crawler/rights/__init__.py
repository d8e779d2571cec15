"""What a site declared about text-and-data-mining and AI use of a page, as we found it.

Facts only, each with where it was found (issue 14: "do not decide for the user"):
- `tdmrep`: the W3C TDMRep protocol's `/.well-known/tdmrep.json` rules;
- `ai_agents`: robots.txt rules for the common AI crawler user agents;
- `declared`: the record's `rights` object from HTTP headers, page markup, both above;
- `pipeline`: the Scrapy item pipeline that gathers them during a crawl.
"""
