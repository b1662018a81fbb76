"""Tests that the Spanish interface is complete."""
