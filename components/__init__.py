"""The dashboard's pieces: every st.* call lives here or in app.py, never in the engine."""
