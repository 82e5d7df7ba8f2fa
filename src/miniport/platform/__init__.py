"""The super-app platform: identities, mini programs, host apps, consent, and ports."""
