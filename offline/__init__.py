"""The offline plan: the real __main__.py under Pulumi's mock engine, answering like Azure.

Product code, not test code: `make plan` (and CI's preview without credentials) runs it, and the tests
import it, never the other way round.
- plan.py: runs the program for one stack file and renders the plan (text or JSON);
- mock_engine.py: the mock monitor that answers with ARM-shaped IDs and records every registration;
- azure_types.py: what the offline plan knows of each azure-native type (ARM type, API version, ID);
- bench.py: `make bench`, plan timings as ratios.
"""
