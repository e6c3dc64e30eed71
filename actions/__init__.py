"""Harbor's custom actions (rasa_sdk). Start with: python -m rasa_sdk --actions actions"""
