"""The demo town of 余坪镇: synthetic geography, people and campaign state."""
