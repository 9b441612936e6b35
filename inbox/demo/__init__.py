"""The demo workspace and its scripted crisis; never touches a real inbox."""
