"""The public side: anonymous, JavaScript-free. It imports nothing from the staff apps."""
