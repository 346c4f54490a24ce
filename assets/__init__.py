"""The wizard's styles and texts, shipped as the data package `wizard.assets`."""
