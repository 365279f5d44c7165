"""Where the machine cannot tell, a person says: their answers to a tool's questions become examples in its
spec file (answers.py, oracle.py, spec_file.py), and the tool is chosen again (session.py, rechoose.py)."""
