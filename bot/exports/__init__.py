"""Renderers of the appraisal views (handlers/views/appraisal.py): charts, the official Excel form, the PDF to sign."""
