"""Editor slots into the platform: conversion, filtering by declarations, replacement."""
