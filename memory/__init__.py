"""Memory: vector indexes derived from the project's own records, with an offline embedder.

`memory.tools_index.ToolIndex` searches the tool library by meaning. Every index here is derived
data: it can be deleted and rebuilt from its source (tool manifests) at any time. Nothing is
imported or loaded here; the embedder and ChromaDB load on first use.
"""
