"""Folium view builders."""
