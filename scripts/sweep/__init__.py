"""The release sweep's parts (scripts/sweep_sdks.py runs them): `registries` (which releases, which
have the operation), `plan` (what is due, shards, the CI matrix), `failures` (failed installs and
builds, cached), `index` (docs/sweep/releases.json), `heatmap` and `dashboard` (the page)."""
