"""Scheduling: the practice's services and locations, appointments, attendance."""
