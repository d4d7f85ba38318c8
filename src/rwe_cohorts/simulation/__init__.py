"""Simulation studies: the study's estimator chain on independent synthetic deliveries with a planted truth."""
