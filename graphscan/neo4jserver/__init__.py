"""A local Neo4j (Community 5.26 LTS + Graph Data Science + APOC) assembled from Maven
Central, for development, tests and users without a server of their own.

``assembly`` fetches the jars once into a cache folder; ``server`` runs one server per
workspace folder with a generated password kept beside its data (mode 0600).
"""
