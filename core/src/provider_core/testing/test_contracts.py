"""Provider-specific contracts (ProviderRegistration.contracts) are collected here by the suite's conftest."""
