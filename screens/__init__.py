"""The Kivy touch UI: a view over kiosk/'s state and events."""
