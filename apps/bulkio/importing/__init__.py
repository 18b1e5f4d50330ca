"""Bulk import: plan (preview), apply, rollback. Public entry points live in ``jobs``."""
