"""Harbor's own channel connectors (registered in credentials.yml by module path)."""
