from browser.cli import main

raise SystemExit(main())
