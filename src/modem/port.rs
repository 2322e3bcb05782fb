//! Opening a modem's port: a serial device (udev symlink, /dev/serial/by-id,
//! ttyUSB, ttyACM, ttyS, serial0) or `tcp://host:port` for a ser2net-style
//! serial server.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_serial::SerialPortBuilderExt;

use super::Error;

/// A byte stream to a modem.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// An open port.
pub type Port = Box<dyn Stream>;

/// Hardware flow control on the serial line (RTS/CTS), for UART HATs wired
/// with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FlowControl {
    #[default]
    None,
    Hardware,
}

pub async fn open(device: &str, baud: u32, flow: FlowControl) -> Result<Port, Error> {
    let fail = |e: std::io::Error| Error::Open {
        device: device.to_owned(),
        source: e,
    };
    if let Some(addr) = device.strip_prefix("tcp://") {
        let s = tokio::net::TcpStream::connect(addr).await.map_err(fail)?;
        s.set_nodelay(true).map_err(fail)?;
        return Ok(Box::new(s));
    }
    if !std::path::Path::new(device).exists() {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such device",
        )));
    }
    let builder = tokio_serial::new(device, baud).flow_control(match flow {
        FlowControl::None => tokio_serial::FlowControl::None,
        FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
    });
    let port = match builder.open_native_async() {
        Ok(port) => port,
        // The serialport crate sets a Linux port up with termios2
        // (TCGETS2/TCSETS2). Where that ioctl does not exist, ENOSYS (qemu-user,
        // which runs the aarch64 test suite in CI; some seccomp sandboxes),
        // the classic termios calls still work for the standard rates.
        Err(e) if e.description == nix::errno::Errno::ENOSYS.desc() => {
            open_classic(device, baud, flow).map_err(fail)?
        }
        Err(e) => return Err(fail(std::io::Error::other(e.to_string()))),
    };
    Ok(Box::new(port))
}

/// Opens a serial port with classic termios (`TCGETS`/`TCSETS`): raw, 8N1,
/// the standard rate `baud`, RTS/CTS as asked, then hands the descriptor to
/// serialport (which takes the exclusive lock, `flock` and `TIOCEXCL`, as its
/// own open does) and tokio-serial.
fn open_classic(
    device: &str,
    baud: u32,
    flow: FlowControl,
) -> std::io::Result<tokio_serial::SerialStream> {
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::Mode;
    use nix::sys::termios::{ControlFlags, SetArg, cfmakeraw, cfsetspeed, tcgetattr, tcsetattr};
    use std::os::fd::IntoRawFd;

    let speed = standard_rate(baud).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{baud} baud is not a standard rate, and this system lacks termios2"),
        )
    })?;
    let fd = open(
        device,
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let mut t = tcgetattr(&fd)?;
    cfmakeraw(&mut t);
    t.control_flags |= ControlFlags::CLOCAL | ControlFlags::CREAD;
    t.control_flags.remove(ControlFlags::CSTOPB);
    t.control_flags
        .set(ControlFlags::CRTSCTS, flow == FlowControl::Hardware);
    cfsetspeed(&mut t, speed)?;
    tcsetattr(&fd, SetArg::TCSANOW, &t)?;
    // SAFETY: the descriptor is open and ours; into_raw_fd gives up our
    // ownership, and the TTYPort closes it when dropped.
    let tty =
        unsafe { <serialport::TTYPort as std::os::fd::FromRawFd>::from_raw_fd(fd.into_raw_fd()) };
    tokio_serial::SerialStream::try_from(tty).map_err(|e| std::io::Error::other(e.to_string()))
}

/// The termios constant for a standard rate.
fn standard_rate(baud: u32) -> Option<nix::sys::termios::BaudRate> {
    use nix::sys::termios::BaudRate as B;
    Some(match baud {
        1200 => B::B1200,
        2400 => B::B2400,
        4800 => B::B4800,
        9600 => B::B9600,
        19_200 => B::B19200,
        38_400 => B::B38400,
        57_600 => B::B57600,
        115_200 => B::B115200,
        230_400 => B::B230400,
        460_800 => B::B460800,
        921_600 => B::B921600,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The classic-termios path against the simulator on a real pty: the
    /// port opens, and AT gets OK.
    #[tokio::test]
    async fn classic_termios_talks_to_the_simulator() {
        let dir = std::env::temp_dir().join(format!("smsgate-port-classic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sim = crate::sim::Simulator::spawn(crate::sim::SimConfig::new(dir.join("modem")))
            .await
            .unwrap();
        let device = sim.link().display().to_string();
        let mut port = open_classic(&device, 115_200, FlowControl::None).unwrap();
        port.write_all(b"AT\r").await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while !String::from_utf8_lossy(&got).contains("OK\r\n") {
            let n = tokio::time::timeout(std::time::Duration::from_secs(30), port.read(&mut buf))
                .await
                .expect("an answer to AT")
                .unwrap();
            assert!(n > 0, "EOF after {got:?}");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(open_classic(&device, 123_456, FlowControl::None).is_err());
        drop(port);
        sim.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
