"""Imports every command module so that each registers its group on the root app."""
