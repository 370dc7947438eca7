"""End-to-end tests: a real ``streamlit run`` driven by Chromium through Playwright."""
