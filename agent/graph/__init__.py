"""The agent as a LangGraph state machine (build_graph), its state and its nodes."""
