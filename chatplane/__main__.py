from chatplane.cli import main

raise SystemExit(main())
