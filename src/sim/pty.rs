//! The pseudo-terminal the simulator speaks through, with a stable symlink.
//!
//! The master side is non-blocking and driven by tokio; the slave is set to
//! raw mode and kept open by the simulator, so that the host can close and
//! re-open the link without the master seeing `EIO`, and so that nothing the
//! modem prints is echoed back by the line discipline before the host has
//! configured the port. Dropping a [`Pty`] closes both sides (the host then
//! reads EOF or gets `EIO`) and removes the symlink.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::pty::openpty;
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
use tokio::io::unix::AsyncFd;

/// A pty pair and the symlink that names its slave.
#[derive(Debug)]
pub struct Pty {
    master: AsyncFd<OwnedFd>,
    _slave: OwnedFd,
    slave_path: PathBuf,
    link: PathBuf,
}

impl Pty {
    /// Opens a pty and points `link` at its slave (replacing whatever `link`
    /// was). Must be called within a tokio runtime.
    pub fn create(link: &Path) -> io::Result<Pty> {
        if let Ok(meta) = std::fs::symlink_metadata(link)
            && !meta.file_type().is_symlink()
        {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a symlink", link.display()),
            ));
        }
        let pair = openpty(None, None).map_err(io::Error::from)?;
        let mut t = tcgetattr(&pair.slave).map_err(io::Error::from)?;
        cfmakeraw(&mut t);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &t).map_err(io::Error::from)?;
        let flags = fcntl(&pair.master, FcntlArg::F_GETFL).map_err(io::Error::from)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(&pair.master, FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;
        let slave_path = nix::unistd::ttyname(&pair.slave).map_err(io::Error::from)?;
        // Atomic replacement: a new symlink renamed over the old one.
        let tmp = tmp_name(link);
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&slave_path, &tmp)?;
        std::fs::rename(&tmp, link)?;
        // SAFETY: the OwnedFd moves into the AsyncFd, which owns it and
        // keeps it open until the registration is dropped.
        let master = unsafe { AsyncFd::register(pair.master)? };
        Ok(Pty {
            master,
            _slave: pair.slave,
            slave_path,
            link: link.to_path_buf(),
        })
    }

    /// The slave device (`/dev/pts/N`).
    pub fn slave_path(&self) -> &Path {
        &self.slave_path
    }

    /// Reads what the host wrote; waits until something is there.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut guard = self.master.readable().await?;
            match guard
                .try_io(|fd| nix::unistd::read(fd.get_ref().as_fd(), buf).map_err(io::Error::from))
            {
                Ok(r) => return r,
                Err(_would_block) => continue,
            }
        }
    }

    /// Writes all of `data`.
    pub async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let mut guard = self.master.writable().await?;
            match guard.try_io(|fd| nix::unistd::write(fd.get_ref(), data).map_err(io::Error::from))
            {
                Ok(Ok(n)) => data = &data[n..],
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // Only remove the link if it still points at this pty.
        if std::fs::read_link(&self.link).is_ok_and(|t| t == self.slave_path) {
            let _ = std::fs::remove_file(&self.link);
        }
    }
}

fn tmp_name(link: &Path) -> PathBuf {
    let mut name = link
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    link.with_file_name(name)
}
