"""Salesforce connector: OAuth (web server + PKCE + refresh, JWT bearer, client credentials),
a client on simple-salesforce, a safe SOQL builder, CDC event parsing and API limits."""
