package publish

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncFiles makes the temporary files durable. One syncfs(2) of the file
// system holding dir replaces thousands of fsyncs after a full publish (each
// costs milliseconds, much more on an SD card); for a few files, fsync each.
func syncFiles(dir string, files []rename) error {
	if len(files) <= 16 {
		return syncEach(files)
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
